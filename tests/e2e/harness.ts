/**
 * Harness for the browser tests: builds the app with Vite's JS API, serves the build from a small
 * static server on 127.0.0.1, and launches Debian's Chromium through playwright-core.
 */
import { createReadStream } from 'node:fs';
import { mkdtemp, realpath, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { build } from 'vite';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

export const CHROMIUM_PATH = '/usr/bin/chromium';

/**
 * Flags for headless Chromium 156 on Debian 12 without a GPU. `--enable-unsafe-webgpu` alone is
 * enough there: navigator.gpu.requestAdapter() returns Chromium's bundled SwiftShader Vulkan
 * adapter (vendor "google", architecture "swiftshader", no shader-f16, 256 invocations per
 * workgroup) without VK_ICD_FILENAMES set. Without the flag, navigator.gpu exists but
 * requestAdapter() resolves to null. `--enable-features=Vulkan --use-angle=swiftshader
 * --use-vulkan=swiftshader` also work but change nothing for WebGPU, so they are left out.
 */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu'];

/** Flags that keep Chromium offline and quiet; the tests reach only 127.0.0.1. */
export const QUIET_FLAGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export function launchChromium(webgpu: boolean): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [...(webgpu ? WEBGPU_FLAGS : []), ...QUIET_FLAGS],
  });
}

/** Builds the app into a fresh temporary folder and returns its path. */
export async function buildApp(): Promise<string> {
  const outDir = await mkdtemp(path.join(tmpdir(), 'playground-e2e-build-'));
  await build({
    root: REPO_ROOT,
    configFile: path.join(REPO_ROOT, 'vite.config.ts'),
    logLevel: 'warn',
    build: { outDir, emptyOutDir: true },
  });
  return outDir;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.txt': 'text/plain; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.safetensors': 'application/octet-stream',
};

export interface StaticServer {
  url: string;
  close(): Promise<void>;
}

/** Serves `root` on 127.0.0.1 at a free port. Paths outside `root` get 404. */
export async function serveStatic(root: string): Promise<StaticServer> {
  const realRoot = await realpath(root);

  const server: Server = createServer((request, response) => {
    void (async () => {
      const pathname = decodeURIComponent(new URL(request.url ?? '/', 'http://127.0.0.1').pathname);
      const relative = pathname.endsWith('/') ? `${pathname}index.html` : pathname;
      const filePath = path.join(realRoot, relative);
      const inside = filePath === realRoot || filePath.startsWith(realRoot + path.sep);
      const info = inside ? await stat(filePath).catch(() => null) : null;
      if (!info?.isFile()) {
        response.writeHead(404, { 'content-type': 'text/plain' });
        response.end(`Not found: ${pathname}`);
        return;
      }
      response.writeHead(200, {
        'content-type': CONTENT_TYPES[path.extname(filePath)] ?? 'application/octet-stream',
        'content-length': info.size,
        'cache-control': 'no-store',
      });
      createReadStream(filePath).pipe(response);
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Console errors and uncaught exceptions of a page, for failure messages. */
export function collectDiagnostics(page: Page): () => string {
  const lines: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warning') lines.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => lines.push(`page error: ${error.message}`));
  return () => (lines.length ? `\nBrowser diagnostics:\n${lines.join('\n')}` : '\nBrowser diagnostics: none');
}
