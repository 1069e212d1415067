import { displayedRun, isRunning, useComparisonStore } from '../store/comparison';
import type { RunSample } from '../share';
import { isLivePhase, useRunStore } from '../store/run';

function SampleText({ title, sample, missingNote, testId }: { title: string; sample: RunSample | null; missingNote: string; testId: string }) {
  return (
    <div className="sample">
      <h3>
        {title}
        {sample && <span className="muted"> (step {sample.step})</span>}
      </h3>
      <pre data-testid={testId}>{sample ? sample.text : ''}</pre>
      {!sample && <p className="muted">{missingNote}</p>}
    </div>
  );
}

/**
 * Renders the text generated from the sample prompt before and after fine-tuning, side by side.
 * While runs execute it shows the live run's samples. Otherwise it shows the selected run's samples
 * as its results recorded them, which a reload restores and a share link carries.
 */
export function SamplePanel() {
  const livePhase = useRunStore((state) => isLivePhase(state.phase));
  const liveSamples = useRunStore((state) => state.samples);
  const liveLabel = useRunStore((state) => state.runLabel);
  const liveRunId = useRunStore((state) => state.runId);
  const running = useComparisonStore(isRunning);
  const run = useComparisonStore(displayedRun);
  const live = livePhase || running;

  let before: RunSample | null;
  let after: RunSample | null;
  let label: string | null;
  let missingNote = 'Not generated yet.';
  if (live) {
    ({ before, after } = liveSamples);
    label = liveLabel;
  } else {
    before = run?.results?.samples?.before ?? null;
    after = run?.results?.samples?.after ?? null;
    label = run?.label ?? null;
    if (run?.config.task === 'language-model' && run.config.sampleTokens === 0) missingNote = 'Sampling is off for this run (0 sample tokens).';
    else if (run?.results) missingNote = 'Not recorded.';
  }
  const prompt = before?.prompt ?? after?.prompt ?? null;

  return (
    <section className="panel" data-testid="samples" data-source={live ? 'live' : 'saved'} data-run-id={(live ? liveRunId : run?.id) ?? ''}>
      <header className="panel-header">
        <h2>Samples{label !== null && <span className="muted"> of {label}</span>}</h2>
        {prompt !== null && (
          <span className="panel-figures">
            prompt: <q data-testid="sample-prompt">{prompt}</q>
          </span>
        )}
      </header>
      <div className="sample-grid">
        <SampleText title="Before fine-tuning" sample={before} missingNote={missingNote} testId="sample-before" />
        <SampleText title="After fine-tuning" sample={after} missingNote={missingNote} testId="sample-after" />
      </div>
    </section>
  );
}
