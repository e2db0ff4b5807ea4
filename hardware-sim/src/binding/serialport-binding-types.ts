/**
 * serialport's binding types. The package's "exports" map has no "types" entry for ESM, so under
 * NodeNext its .d.ts is only found through the require condition; this file keeps that detail in one place.
 */
export type {
  BindingInterface,
  BindingPortInterface,
  OpenOptions,
  PortInfo,
  PortStatus,
  SetOptions,
  UpdateOptions,
} from "@serialport/bindings-interface" with { "resolution-mode": "require" };
