/** Form pieces shared by the pages: labelled fields with their hints and errors, the CSRF field, alerts. */
import { CSRF_FIELD } from '../domain/csrf.js';
import { html, type SafeHtml } from '../../../../../shared/html.js';

export interface FieldOptions {
  id: string;
  label: string;
  type: 'email' | 'password' | 'text';
  autocomplete: string;
  value?: string;
  hint?: string;
  error?: string;
  required?: boolean;
  autofocus?: boolean;
}

export function field(f: FieldOptions): SafeHtml {
  const hintId = f.hint ? `${f.id}-hint` : undefined;
  const errorId = f.error ? `${f.id}-error` : undefined;
  const describedBy = [hintId, errorId].filter(Boolean).join(' ');
  return html`<label for="${f.id}">${f.label}</label>
${f.hint ? html`<p class="hint" id="${hintId}">${f.hint}</p>` : ''}
${f.error ? html`<p class="error" id="${errorId}">${f.error}</p>` : ''}
<input id="${f.id}" name="${f.id}" type="${f.type}" autocomplete="${f.autocomplete}"${
    f.value !== undefined && f.type !== 'password' ? html` value="${f.value}"` : ''
  }${f.required === false ? '' : html` required`}${describedBy ? html` aria-describedby="${describedBy}"` : ''}${
    f.error ? html` aria-invalid="true"` : ''
  }${f.autofocus ? html` autofocus` : ''}>`;
}

export function csrfField(token: string): SafeHtml {
  return html`<input type="hidden" name="${CSRF_FIELD}" value="${token}">`;
}

/** A form-level message (a failed sign-in): announced, and first in reading order. */
export function alert(message: string | undefined): SafeHtml | '' {
  return message ? html`<p class="alert" role="alert">${message}</p>` : '';
}
