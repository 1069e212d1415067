import { dismissNotice, useComparisonStore, type NoticeKind } from '../store/comparison';
import { dismissError, useRunStore } from '../store/run';
import { useWebGpuStore } from '../store/webgpu';

/** Run errors, one red banner each, until dismissed. Charts keep the results recorded so far. */
export function ErrorBanners() {
  const errors = useRunStore((state) => state.errors);
  if (errors.length === 0) return null;

  return (
    <div className="banners">
      {errors.map((notice) => (
        <div key={notice.id} className="banner banner-error" role="alert" data-testid="error-banner">
          {notice.runLabel !== null && <strong className="banner-run">{notice.runLabel}</strong>}
          <pre className="banner-message" data-testid="error-message">{notice.message}</pre>
          <button type="button" className="dismiss" onClick={() => dismissError(notice.id)} aria-label="Dismiss error" data-testid="error-dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

const NOTICE_TITLES: Record<NoticeKind, string> = {
  'link-error': 'The link was not opened',
  restore: 'A saved comparison was not restored',
  storage: 'Comparisons are not being saved',
};

/** Page messages: an unreadable share link, a saved comparison that could not be restored, failed saves. */
export function NoticeBanners() {
  const notices = useComparisonStore((state) => state.notices);
  if (notices.length === 0) return null;

  return (
    <div className="banners">
      {notices.map((notice) => (
        <div key={notice.id} className={notice.kind === 'link-error' ? 'banner banner-error' : 'banner banner-warning'} role="alert" data-testid={`notice-${notice.kind}`}>
          <strong className="banner-run">{NOTICE_TITLES[notice.kind]}</strong>
          <pre className="banner-message" data-testid="notice-message">{notice.message}</pre>
          <button type="button" className="dismiss" onClick={() => dismissNotice(notice.id)} aria-label="Dismiss message" data-testid="notice-dismiss">
            ×
          </button>
        </div>
      ))}
    </div>
  );
}

/** Explains how to enable WebGPU when the page found no adapter. */
export function WebGpuBanner() {
  const webgpu = useWebGpuStore();
  if (webgpu.status !== 'unavailable') return null;

  return (
    <div className="banner banner-warning" role="alert" data-testid="webgpu-help">
      <strong>WebGPU is unavailable, so training cannot run here.</strong>
      <p>{webgpu.message}</p>
    </div>
  );
}
