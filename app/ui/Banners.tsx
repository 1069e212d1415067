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
          <pre className="banner-message" data-testid="error-message">{notice.message}</pre>
          <button type="button" className="dismiss" onClick={() => dismissError(notice.id)} aria-label="Dismiss error" data-testid="error-dismiss">
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
