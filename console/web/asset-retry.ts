// A page whose app.js or app.css failed to load is blank, or unstyled, for good: the browser does not
// ask again. Chromium fails the requests in flight whenever the host's network changes
// (ERR_NETWORK_CHANGED: a container's interface added or removed on the same machine), so boot.js
// watches the page's own scripts and stylesheets and asks for a failed one again, a few times, a
// little later each time; after that the page says what failed instead of staying blank.

/** How many times one asset is asked for again. */
export const ASSET_RETRIES = 3;

export function retryFailedAssets(doc: Document = document, retries = ASSET_RETRIES): void {
  const failures = new Map<string, number>();
  // Load errors do not bubble: caught on their way down (capture), for elements not parsed yet too.
  doc.addEventListener(
    'error',
    (ev) => {
      const el = ev.target;
      const script = el instanceof HTMLScriptElement && el.src ? el : undefined;
      const style = el instanceof HTMLLinkElement && el.rel === 'stylesheet' ? el : undefined;
      const url = script?.src ?? style?.href;
      if (!url || new URL(url).origin !== location.origin) return;
      const n = (failures.get(url) ?? 0) + 1;
      failures.set(url, n);
      if (n > retries) {
        const app = doc.getElementById('app');
        if (app && !app.hasChildNodes()) app.textContent = `The console could not load ${new URL(url).pathname}: reload the page.`;
        return;
      }
      setTimeout(() => {
        // A new element: a script element runs at most once, even cloned.
        const again = doc.createElement(script ? 'script' : 'link');
        if (again instanceof HTMLScriptElement) again.src = url;
        else if (again instanceof HTMLLinkElement) {
          again.rel = 'stylesheet';
          again.href = url;
        }
        (el as Element).replaceWith(again);
      }, 100 * 2 ** (n - 1));
    },
    true,
  );
}
