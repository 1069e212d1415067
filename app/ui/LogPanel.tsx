import { useLayoutEffect, useRef } from 'react';
import { useRunStore } from '../store/run';

/** Distance from the bottom, in pixels, within which the panel keeps following new lines. */
const FOLLOW_THRESHOLD_PX = 24;

/** Renders the log and error lines of the current batch of runs, each with its run's label, and follows new lines unless the person has scrolled up. */
export function LogPanel() {
  const logs = useRunStore((state) => state.logs);
  const dropped = useRunStore((state) => state.droppedLogLines);
  const listRef = useRef<HTMLDivElement>(null);
  const followRef = useRef(true);

  useLayoutEffect(() => {
    const list = listRef.current;
    if (list && followRef.current) list.scrollTop = list.scrollHeight;
  }, [logs]);

  return (
    <section className="panel" data-testid="log-panel">
      <header className="panel-header">
        <h2>Log</h2>
        <span className="panel-figures">{logs.length === 1 ? "1 line" : `${logs.length} lines`}</span>
      </header>
      <div
        className="log"
        ref={listRef}
        onScroll={(event) => {
          const list = event.currentTarget;
          followRef.current = list.scrollHeight - list.scrollTop - list.clientHeight < FOLLOW_THRESHOLD_PX;
        }}
      >
        {dropped > 0 && <div className="log-line muted">{dropped} earlier lines not shown</div>}
        {logs.length === 0 && <div className="log-line muted">Run events are logged here.</div>}
        {logs.map((line) => (
          <div key={line.id} className={`log-line log-${line.level}`}>
            <time>{new Date(line.receivedAt).toLocaleTimeString()}</time>
            {line.runLabel !== null && <span className="log-run">{line.runLabel}</span>}
            <span>{line.message}</span>
          </div>
        ))}
      </div>
    </section>
  );
}
