import { useEffect } from 'react';
import { loadEmbeddedModelContext } from '../store/config';
import { AccuracyChart } from './AccuracyChart';
import { ErrorBanners, NoticeBanners, WebGpuBanner } from './Banners';
import { ConfigPanel } from './ConfigPanel';
import { DownloadRequest } from './DownloadRequest';
import { LinkBanner } from './LinkBanner';
import { LogPanel } from './LogPanel';
import { LossChart } from './LossChart';
import { MemoryChart, OptimizerStateChart } from './MemoryChart';
import { RunControls, StatusLine } from './RunControls';
import { RunsPanel } from './RunsPanel';
import { XAxisSwitch } from './RunLegend';
import { SamplePanel } from './SamplePanel';
import { useDisplayedTask } from './useRunForm';

function Title() {
  const task = useDisplayedTask();
  if (task === 'vision') {
    return (
      <h1>
        Vision training <span className="muted">SGD · AdamW · 32-bit and 4-bit Shampoo on WebGPU</span>
      </h1>
    );
  }
  return (
    <h1>
      Zeroth-order fine-tuning <span className="muted">SubZero · MeZO on WebGPU</span>
    </h1>
  );
}

export function App() {
  const displayedTask = useDisplayedTask();

  useEffect(() => {
    // The embedded model's context length lets the form flag a too-long sequence before Run.
    loadEmbeddedModelContext(new URL(import.meta.env.BASE_URL, window.location.href).href);
  }, []);

  return (
    <div className="app">
      <header className="topbar">
        <Title />
        <RunControls />
        <StatusLine />
      </header>
      <WebGpuBanner />
      <NoticeBanners />
      <LinkBanner />
      <DownloadRequest />
      <ErrorBanners />
      <div className="layout">
        <aside className="sidebar">
          <ConfigPanel />
        </aside>
        <main className="content">
          <RunsPanel />
          <XAxisSwitch />
          <div className="chart-grid">
            <LossChart />
            {displayedTask === 'vision' && <AccuracyChart />}
            <MemoryChart />
            {displayedTask === 'vision' && <OptimizerStateChart />}
          </div>
          {displayedTask === 'language-model' && <SamplePanel />}
          <LogPanel />
        </main>
      </div>
    </div>
  );
}
