import { useLayoutEffect, useRef, useState } from 'react';
import { displayedRun, isRunning, useComparisonStore } from '../store/comparison';
import { isLivePhase, useRunStore } from '../store/run';
import { Segmented } from './fields';

/** Distance from the bottom, in pixels, within which the panel keeps following new lines. */
const FOLLOW_THRESHOLD_PX = 24;

type LogSource = 'run' | 'session';

const LOG_SOURCES: { value: LogSource; label: string; title: string }[] = [
  { value: 'run', label: 'Selected run', title: "Show the log lines the selected run's results recorded" },
  { value: 'session', label: 'This session', title: 'Show every line of the last batch of runs on this page, with page messages and arrival times' },
];

/** A line as the panel renders it, from the live log or from a run's recorded log. */
interface ShownLine {
  key: number;
  level: 'info' | 'warn' | 'error';
  message: string;
  /** Arrival time of a live line, in ms since the epoch. */
  receivedAt?: number;
  /** Steps done when a recorded line was logged. */
  step?: number;
  runLabel: string | null;
}

/**
 * Renders a log and follows new lines unless the person has scrolled up. While runs execute it shows
 * the batch's live log, each line with its run's label. Otherwise it shows the log the selected
 * run's results recorded (restored after a reload, carried by a share link), and the person can
 * switch back to the last batch's live log.
 */
export function LogPanel() {
  const liveLogs = useRunStore((state) => state.logs);
  const liveDropped = useRunStore((state) => state.droppedLogLines);
  const livePhase = useRunStore((state) => isLivePhase(state.phase));
  const running = useComparisonStore(isRunning);
  const run = useComparisonStore(displayedRun);
  const [source, setSource] = useState<LogSource>('run');
  const listRef = useRef<HTMLDivElement>(null);
  const followRef = useRef(true);

  const live = livePhase || running;
  const hasSessionLog = liveLogs.length > 0 || liveDropped > 0;
  const showLive = live || (source === 'session' && hasSessionLog);
  let lines: ShownLine[];
  let dropped: number;
  if (showLive) {
    lines = liveLogs.map((line) => ({ key: line.id, level: line.level, message: line.message, receivedAt: line.receivedAt, runLabel: line.runLabel }));
    dropped = liveDropped;
  } else {
    lines = (run?.results?.log ?? []).map((line, index) => ({ key: index, level: line.level, message: line.message, step: line.step, runLabel: null }));
    dropped = run?.results?.droppedLogLines ?? 0;
  }
  let empty = 'Run events are logged here.';
  if (!showLive && run?.results) empty = 'No log lines were recorded for this run.';

  // A new array arrives with every batch of lines, so the effect follows both sources.
  const followed = showLive ? liveLogs : run?.results?.log;
  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && followRef.current) list.scrollTop = list.scrollHeight;
  }, [followed]);

  return (
    <section className="panel" data-testid="log-panel" data-source={showLive ? 'live' : 'saved'} data-run-id={showLive ? '' : (run?.id ?? '')}>
      <header className="panel-header">
        <h2>
          Log{!showLive && run && <span className="muted"> of {run.label}</span>}
        </h2>
        {!live && hasSessionLog && <Segmented name="Log source" options={LOG_SOURCES} value={source} onChange={setSource} disabled={false} testIdPrefix="log-source" />}
        <span className="panel-figures">{lines.length === 1 ? '1 line' : `${lines.length} lines`}</span>
      </header>
      <div
        className="log"
        ref={listRef}
        onScroll={(event) => {
          const list = event.currentTarget;
          followRef.current = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_THRESHOLD_PX;
        }}
      >
        {dropped > 0 && (
          <div className="log-line muted" data-testid="log-dropped">
            {showLive ? `${dropped} earlier lines not shown` : `${dropped} earlier lines were not kept`}
          </div>
        )}
        {lines.length === 0 && <div className="log-line muted">{empty}</div>}
        {lines.map((line) => (
          <div key={line.key} className={`log-line log-${line.level}`} data-testid="log-line">
            {line.receivedAt !== undefined && <time>{new Date(line.receivedAt).toLocaleTimeString()}</time>}
            {line.step !== undefined && <span className="log-run">step {line.step}</span>}
            {line.runLabel !== null && <span className="log-run">{line.runLabel}</span>}
            <span>{line.message}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
