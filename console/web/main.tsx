// The console's entry point (bundled by console/build.ts into app.js): styles, then the app.
import { render } from 'preact';
import './styles.css';
import { App } from './ui/app';

render(<App />, document.getElementById('app')!);
