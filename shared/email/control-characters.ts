/**
 * The control characters refused in every header text a caller gives (header values, the
 * subject, display names, attachment filenames): C0 controls, DEL and the C1 controls.
 * TAB is white space in a header (RFC 5322 section 2.2). CR and LF are left out here because
 * they are refused first, with a message of their own.
 */
const CONTROLS = '\\x00-\\x08\\x0b\\x0c\\x0e-\\x1f\\x7f-\\x9f';

export const CONTROL_CHARACTER = new RegExp(`[${CONTROLS}]`);

/** The whole text is free of control characters; a pattern the OpenAPI document can show. */
export const NO_CONTROL_CHARACTERS = new RegExp(`^[^${CONTROLS}]*$`);

export const CONTROL_CHARACTERS_MESSAGE = 'must not contain control characters';
