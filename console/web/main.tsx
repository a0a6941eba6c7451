// The console's entry point (bundled by console/build.ts into app.js): styles, then the app. A tab with
// a saved token starts its session here, before the first render: the lists the URL's view needs and
// discovery are requested at once, in parallel (ui/session.ts).
import { render } from 'preact';
import './styles.css';
import { App, routeKinds } from './ui/app';
import { parseRoute } from './ui/hooks';
import { boot, savedToken } from './ui/session';

performance.mark('steer-console-script'); // bench/console.ts: the bundle loaded and running
const token = savedToken();
render(<App boot={token === null ? undefined : boot(token, routeKinds(parseRoute(location.hash)))} />, document.getElementById('app')!);
