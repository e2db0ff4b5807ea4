/**
 * ESC p m t1 t2 (1B 70 m t1 t2): generate a pulse on drawer pin m (0 = pin 2) for t1 x 2 ms on,
 * t2 x 2 ms off. 1B 70 00 19 FA = pin 2, 50 ms on, 500 ms off.
 * node-thermal-printer's openCashDrawer() emits 1B 70 00 1B 70 01, which is malformed (the first
 * command swallows the second's bytes as its timing), so the agent never calls it.
 */
export const DRAWER_KICK = Buffer.from([0x1b, 0x70, 0x00, 0x19, 0xfa]);
