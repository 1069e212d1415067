/** Page entry: checks WebGPU, restores the saved comparisons, exposes the read-only page summary and mounts the app. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './ui/App';
import { startStores } from './store/startup';
import { checkWebGpu } from './store/webgpu';
import { exposePlaygroundSummary } from './store/summary';
import './ui/styles.css';

const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element to mount the app into.');

exposePlaygroundSummary(window);
void checkWebGpu();
void startStores(window);

createRoot(root).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
