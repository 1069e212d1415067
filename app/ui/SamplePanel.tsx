import { useRunStore, type Sample } from '../store/run';

function SampleText({ title, sample, testId }: { title: string; sample: Sample | null; testId: string }) {
  return (
    <div className="sample">
      <h3>
        {title}
        {sample && <span className="muted"> (step {sample.step})</span>}
      </h3>
      <pre data-testid={testId}>{sample ? sample.text : ''}</pre>
      {!sample && <p className="muted">Not generated yet.</p>}
    </div>
  );
}

/** Text the current (or last) run generated from the sample prompt before and after fine-tuning, side by side. Samples are not saved with the comparison. */
export function SamplePanel() {
  const samples = useRunStore((state) => state.samples);
  const runLabel = useRunStore((state) => state.runLabel);
  const prompt = samples.before?.prompt ?? samples.after?.prompt ?? null;

  return (
    <section className="panel" data-testid="samples">
      <header className="panel-header">
        <h2>Samples{runLabel !== null && <span className="muted"> of {runLabel}</span>}</h2>
        {prompt !== null && (
          <span className="panel-figures">
            prompt: <q data-testid="sample-prompt">{prompt}</q>
          </span>
        )}
      </header>
      <div className="sample-grid">
        <SampleText title="Before fine-tuning" sample={samples.before} testId="sample-before" />
        <SampleText title="After fine-tuning" sample={samples.after} testId="sample-after" />
      </div>
    </section>
  );
}
