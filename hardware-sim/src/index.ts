/** @codepay/hardware-sim: simulated register hardware speaking the real byte protocols. */

// Device emulators
export { PoleDisplayEmulator, DISPLAY_MODELS, type DisplaySnapshot, type DisplayModel } from "./devices/pole-display-emulator.js";
export { ReceiptPrinterEmulator, type PrinterSnapshot } from "./devices/receipt-printer-emulator.js";
export { CardReaderEmulator, type SwipeSummary } from "./devices/card-reader-emulator.js";
export { DEVICE_KEYS, DEVICE_BAUD_RATES, DEVICE_FILE_NAMES, type DeviceEmulator, type DeviceKey } from "./devices/device-emulator.js";

// Decoders (pure)
export { FramedDecoder, type ParseStep } from "./protocols/framed-decoder.js";
export { createEpsonDisplayDecoder, parseDisplayCommand } from "./protocols/pole-display/epson-display-decoder.js";
export { createCd5220Decoder, parseCd5220Command } from "./protocols/pole-display/cd5220-decoder.js";
export { createLogicControlsDecoder, parseLogicControlsCommand } from "./protocols/pole-display/logic-controls-decoder.js";
export type { DisplayCommand, DisplayWriteMode } from "./protocols/pole-display/display-commands.js";
export { applyDisplayCommand, initialScreen, DISPLAY_COLUMNS, DISPLAY_ROWS, type DisplayScreen } from "./protocols/pole-display/display-screen.js";
export { createEscPosDecoder, parsePrinterCommand } from "./protocols/escpos/escpos-decoder.js";
export type { PrinterCommand, Alignment } from "./protocols/escpos/printer-commands.js";
export {
  applyPrinterCommand, initialReceiptBuilder, openReceipt,
  type Receipt, type ReceiptLine, type CharacterSize, type ReceiptBuilderState,
} from "./protocols/escpos/receipt-builder.js";
export {
  realTimeStatusByte, automaticStatusBackBytes, transmitStatusByte, isOffline, NO_FAULTS, type PrinterFaults,
} from "./protocols/escpos/printer-status.js";
export { encodeSwipe, encodeBadSwipe, track1, track2, luhnValid, maskPan, parseTrackLine, SWIPE_FRAMINGS, type ParsedTrack, type SwipeFraming } from "./protocols/magstripe/magstripe-tracks.js";
export { TEST_CARDS, SWIPE_CARD_NAMES, isSwipeCardName, type TestCard, type TestCardName, type SwipeCardName } from "./protocols/magstripe/test-cards.js";

// Transports
export { createSimBinding, type SimBinding, type SimBindingOptions } from "./binding/sim-binding.js";
export { SimPort } from "./binding/sim-port.js";
export { startPtyDevice, type PtyDevice, type PtyDeviceOptions } from "./binding/pty-device.js";
export { startSerialDevice, type SerialDevice, type SerialDeviceOptions } from "./binding/serial-device.js";
export { startSocatPair, type SocatPair } from "./binding/socat-pair.js";
export { startTcpDevice, type TcpDevice, type TcpDeviceOptions } from "./binding/tcp-device.js";
export {
  startDevices, DEFAULT_PTY_DIRECTORY, SIM_PORT_PATH_PREFIX,
  type StartDevicesOptions, type SimDevices, type DevicePaths, type Transport,
} from "./binding/start-devices.js";
export { BytePacer } from "./binding/byte-pacer.js";

// Phone, control API, scenario
export { SimPhone, type SimPhoneOptions, type PhoneResult } from "./phone/sim-phone.js";
export { startControlApi, type ControlApi, type ControlApiOptions } from "./control-api.js";
export {
  runScenario, type ScenarioOptions, type ScenarioSummary, type PaymentRunResult, type ScenarioStep,
} from "./scenarios/run-scenario.js";
export { codeOnDisplay } from "./scenarios/cashier-and-sim-shapes.js";
export { encodeQr } from "./dashboard-web/qr-encoder.js";

// System tools, errors, limits
export { findTool, requireToolOrSkip, SystemToolMissingError } from "./system-tools.js";
export { SIM_ERROR_CODES, type SimErrorCode } from "./errors.js";
export * as limits from "./limits.js";
