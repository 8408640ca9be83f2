import { render } from 'preact';
import { App } from './App';
import { boot } from './lib/session';
import './styles.css';

render(<App />, document.getElementById('app')!);
void boot();
