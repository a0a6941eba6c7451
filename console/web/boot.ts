// boot.js: the first script of the page (index.html), a few KiB, run before app.js has loaded. A tab
// with a saved token asks for the lists of the view its URL names at once (model/prefetch.ts); the
// app's session takes the answers. Without a token it does nothing: the login form comes first. It also
// asks again for app.js or app.css if their load fails (asset-retry.ts), so a dropped request does
// not leave a blank page.
import { retryFailedAssets } from './asset-retry';
import { prefetchLists } from './model/prefetch';
import { parseRoute, routeKinds } from './model/routes';
import { TOKEN_KEY } from './model/token';

retryFailedAssets();

let token: string | null = null;
try {
  token = sessionStorage.getItem(TOKEN_KEY);
} catch {
  // storage refused (a sandboxed frame): the app shows the login form
}
if (token !== null) {
  prefetchLists(token, routeKinds(parseRoute(location.hash)), (input, init) => fetch(input, init));
  performance.mark('steer-console-prefetched'); // bench/console.ts: when the lists were asked for
}
