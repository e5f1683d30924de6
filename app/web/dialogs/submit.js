// A dialog's footer buttons and the run of its mutation: the payload's
// `errors { code field message }` are shown next to the fields they name.
import { ApiError, AuthError, mutate } from '../api.js';
import { busy, clearErrors, h, icon, showErrors } from '../dom.js';

/**
 * @param {import('../dom.js').Modal} modal
 * @param {string} formId
 * @param {string} submitLabel
 * @param {{ danger?: boolean, submitIcon?: string }} [options]
 */
export function footerButtons(modal, formId, submitLabel, { danger = false, submitIcon } = {}) {
  const cancel = h('button', { type: 'button', class: 'btn btn--secondary', onclick: () => modal.close() }, 'Cancel');
  const submit = h('button', { type: 'submit', form: formId, class: ['btn', danger ? 'btn--danger' : 'btn--primary'] },
    submitIcon ? icon(submitIcon) : null, h('span', {}, submitLabel));
  return { cancel, submit };
}

function reportFailure(form, error, ctx) {
  if (error instanceof AuthError) { ctx.onAuthError(error); return; }
  showErrors(form, [{ field: null, message: error instanceof ApiError ? error.message : 'Something went wrong. Try again.' }]);
}

/** @typedef {import('../../../clients/typescript/src/operations').OperationName} OperationName */
/** @typedef {import('../../../clients/typescript/src/generated/graphql').UserErrorFieldsFragment} UserError */

/**
 * Run a mutation from a form: field errors go next to fields; resolves with the payload on success, else null.
 * @template {OperationName} N
 * @param {HTMLFormElement} form
 * @param {HTMLButtonElement} button
 * @param {{ onAuthError: (error: Error) => void, reload?: () => unknown }} ctx
 * @param {N} name
 * @param {import('../../../clients/typescript/src/operations').InputFor<N>} input
 * @param {Record<string, string>} [aliases]
 * @param {Record<string, string>} [labels]
 * @returns {Promise<import('../../../clients/typescript/src/operations').PayloadFor<N> | null>}
 */
export async function submitMutation(form, button, ctx, name, input, aliases, labels) {
  clearErrors(form);
  try {
    const payload = /** @type {import('../../../clients/typescript/src/operations').PayloadFor<N> & { errors: UserError[] }} */ (
      await busy(button, () => mutate(name, input)));
    if (payload.errors?.length) {
      showErrors(form, payload.errors, aliases, labels);
      if (payload.errors.some((e) => e.code === 'NOT_FOUND')) ctx.reload?.(); // deleted elsewhere
      return null;
    }
    return payload;
  } catch (error) {
    reportFailure(form, error, ctx);
    return null;
  }
}
