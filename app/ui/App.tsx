import { useEffect } from 'react';
import { loadEmbeddedModelContext } from '../store/config';
import { ErrorBanners, WebGpuBanner } from './Banners';
import { ConfigPanel } from './ConfigPanel';
import { LogPanel } from './LogPanel';
import { LossChart } from './LossChart';
import { MemoryChart } from './MemoryChart';
import { RunControls, StatusLine } from './RunControls';
import { SamplePanel } from './SamplePanel';

export function App() {
  useEffect(() => {
    // The embedded model's context length lets the form flag a too-long sequence before Run.
    loadEmbeddedModelContext(new URL(import.meta.env.BASE_URL, window.location.href).href);
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <h1>
          Zeroth-order fine-tuning <span className="muted">SubZero · MeZO on WebGPU</span>
        </h1>
        <RunControls />
        <StatusLine />
      </header>
      <WebGpuBanner />
      <ErrorBanners />
      <div className="layout">
        <aside className="sidebar">
          <ConfigPanel />
        </aside>
        <main className="content">
          <div className="chart-grid">
            <LossChart />
            <MemoryChart />
          </div>
          <SamplePanel />
          <LogPanel />
        </main>
      </div>
    </div>
  );
}
