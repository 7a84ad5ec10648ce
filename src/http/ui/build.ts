/**
 * `npm run build`'s last step: writes the console bundle (`main.js`, `main.css`) to `dist/ui/`, where a
 * built xenboot serves it from.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtUiDir, bundleFromSource } from './bundle.js';

const bundle = await bundleFromSource();
mkdirSync(builtUiDir, { recursive: true });
writeFileSync(join(builtUiDir, 'main.js'), bundle.js);
writeFileSync(join(builtUiDir, 'main.css'), bundle.css);
process.stdout.write(`console bundle: ${bundle.js.length} bytes of JavaScript, ${bundle.css.length} of CSS in ${builtUiDir}\n`);
