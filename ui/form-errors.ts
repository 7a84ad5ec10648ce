/**
 * Shows the API's validation errors on the fields they belong to: each problem's `path` (`kernel`,
 * `xen.args[2]`, `line 4.labels`) is matched to the form control whose `data-path` is its first segment;
 * problems with no such control are listed under the form. Controls get `aria-invalid` and are described
 * by their message, so a screen reader reads it too.
 */
import { ApiError } from './api.js';
import { h } from './dom.js';

/** Removes the messages a previous attempt left. */
export function clearErrors(form: HTMLElement): void {
  for (const el of form.querySelectorAll('.field-error')) el.remove();
  for (const el of form.querySelectorAll('[aria-invalid]')) {
    el.removeAttribute('aria-invalid');
    el.removeAttribute('aria-describedby');
  }
}

let counter = 0;

/** Places the messages of `error` in `form`; returns how many were put on a field. */
export function showErrors(form: HTMLElement, error: unknown): number {
  clearErrors(form);
  const general = form.querySelector<HTMLElement>('.form-errors') ?? form.appendChild(h('div', { class: 'form-errors' }));
  if (!(error instanceof ApiError)) {
    general.append(h('p', { class: 'field-error', role: 'alert' }, String((error as Error).message)));
    return 0;
  }
  const problems = error.problems.length > 0 ? error.problems : [{ path: error.path ?? '', message: error.message }];
  let placed = 0;
  for (const problem of problems) {
    const first = problem.path.split(/[.[ ]/)[0] ?? '';
    const control = first === '' ? null : form.querySelector<HTMLElement>(`[data-path="${CSS.escape(first)}"]`);
    counter += 1;
    const id = `err-${counter}`;
    const message = h('p', { class: 'field-error', id, role: 'alert' }, control && problem.path === first ? problem.message : `${problem.path ? `${problem.path}: ` : ''}${problem.message}`);
    if (control) {
      control.setAttribute('aria-invalid', 'true');
      control.setAttribute('aria-describedby', id);
      control.insertAdjacentElement('afterend', message);
      placed += 1;
    } else general.append(message);
  }
  if (error.status === 401 || error.status === 403) general.append(h('p', { class: 'field-error' }, 'Nothing was changed.'));
  return placed;
}
