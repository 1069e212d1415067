import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The app is a static site: `npm run build` writes dist/, which any static host can serve.
export default defineConfig({
  plugins: [react()],
  server: { host: '127.0.0.1', port: 5173 },
  preview: { host: '127.0.0.1', port: 4173 },
  worker: { format: 'es' },
  build: { target: 'es2022' },
});
