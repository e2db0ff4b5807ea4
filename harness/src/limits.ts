/** Every bound in the harness, units last in each name. */

/** The payments bench's register: a reply or a pushed result later than this fails that payment. */
export const leanRegisterReplyTimeoutMs = 30_000;
/** The payments bench's register: MQTT keepalive (it pings every half of it). */
export const leanRegisterKeepaliveS = 30;
/** The payments bench's phone: one HTTP request to the carrier gateway. */
export const leanPhoneRequestTimeoutMs = 10_000;
/** The payments bench's phone: an HTTP response head (status line and headers) longer than this is refused. */
export const leanPhoneResponseHeadBytesMax = 16_384;
/** The payments bench's register: an incoming MQTT frame announcing more than this closes the connection. */
export const leanRegisterFrameBytesMax = 65_536;
