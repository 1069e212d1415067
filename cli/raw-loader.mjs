// Node module hooks that give plain Node (through tsx) the same `?raw` imports that Vite offers,
// so kernels can import their WGSL source in the browser, in the CLI and in tests alike.
import { readFile } from 'node:fs/promises';
import { register } from 'node:module';

export async function resolve(specifier, context, nextResolve) {
  if (specifier.endsWith('?raw')) {
    const resolved = await nextResolve(specifier.slice(0, -4), context);
    return { url: resolved.url + '?raw', shortCircuit: true };
  }
  return nextResolve(specifier, context);
}

export async function load(url, context, nextLoad) {
  if (url.endsWith('?raw')) {
    const text = await readFile(new URL(url.slice(0, -4)), 'utf8');
    return { format: 'module', source: `export default ${JSON.stringify(text)};`, shortCircuit: true };
  }
  return nextLoad(url, context);
}

if (!globalThis.__rawLoaderRegistered) {
  globalThis.__rawLoaderRegistered = true;
  register(import.meta.url);
}
