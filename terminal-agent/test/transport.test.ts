import net from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { SerialPortMock } from "serialport";
import { AgentError } from "../src/core/errors.js";
import { openTransport } from "../src/devices/transport.js";
import type { DeviceStatus } from "../src/devices/transport.js";
import { parseTcpPath } from "../src/devices/tcp-connection.js";
import { captureLogger } from "./helpers/capture-logger.js";
import { mockSerial, unplug, waitFor } from "./helpers/mock-serial.js";

afterEach(() => SerialPortMock.binding.reset());

describe("transport", () => {
  it("goes offline when the serial port closes with `disconnected` and reopens it", async () => {
    const serial = mockSerial();
    serial.createPort("/dev/ttyUNPLUG");
    const { logger, text } = captureLogger();
    const transport = openTransport({ path: "/dev/ttyUNPLUG", baudRate: 9600, binding: serial.binding, logger });
    const statuses: DeviceStatus[] = [];
    transport.on("status", (status) => statuses.push(status));
    transport.start();
    await waitFor(() => transport.status === "online", "online");
    unplug(serial.last("/dev/ttyUNPLUG"));
    await waitFor(() => transport.status === "offline", "offline");
    await expect(transport.write(Buffer.from("x"))).rejects.toMatchObject({ code: "DEVICE_OFFLINE" });
    await waitFor(() => transport.status === "online", "online again");
    expect(statuses).toEqual(["online", "offline", "online"]);
    expect(serial.opened.get("/dev/ttyUNPLUG")).toHaveLength(2);
    expect(text()).toContain('"disconnected":true');
    await transport.write(Buffer.from("after"));
    expect(serial.last("/dev/ttyUNPLUG").recording.toString()).toBe("after");
    await transport.stop();
    expect(transport.status).toBe("stopped");
  });

  it("keeps retrying a port that does not exist yet", async () => {
    const serial = mockSerial();
    const { logger } = captureLogger();
    const transport = openTransport({ path: "/dev/ttyLATE", baudRate: 9600, binding: serial.binding, logger });
    transport.start();
    await waitFor(() => !serial.opened.has("/dev/ttyLATE") && transport.status === "offline", "offline");
    serial.createPort("/dev/ttyLATE");
    await waitFor(() => transport.status === "online", "online once the port exists");
    await transport.stop();
  });

  it("carries bytes both ways over tcp://host:port and reconnects after the device drops", async () => {
    const received: Buffer[] = [];
    const sockets: net.Socket[] = [];
    const device = net.createServer((socket) => {
      sockets.push(socket);
      socket.on("data", (bytes) => received.push(bytes));
      socket.write("hello");
    });
    await new Promise<void>((resolve) => device.listen(0, "127.0.0.1", resolve));
    const port = (device.address() as net.AddressInfo).port;
    const { logger } = captureLogger();
    const transport = openTransport({ path: `tcp://127.0.0.1:${port}`, baudRate: 9600, logger });
    const data: Buffer[] = [];
    transport.on("data", (bytes) => data.push(bytes));
    transport.start();
    await waitFor(() => transport.status === "online", "online");
    await transport.write(Buffer.from([0x1b, 0x40]));
    await waitFor(() => Buffer.concat(received).length === 2 || undefined, "bytes at the device");
    await waitFor(() => Buffer.concat(data).toString() === "hello" || undefined, "bytes from the device");
    sockets[0]!.destroy();
    await waitFor(() => sockets.length === 2 || undefined, "reconnect");
    await waitFor(() => transport.status === "online", "online again");
    await transport.stop();
    await new Promise<void>((resolve) => device.close(() => resolve()));
  });

  it("parses tcp paths and rejects others", () => {
    expect(parseTcpPath("tcp://10.0.0.5:9100")).toEqual({ host: "10.0.0.5", port: 9100 });
    expect(parseTcpPath("/dev/ttyUSB0")).toBeUndefined();
    expect(parseTcpPath("tcp://host:99999")).toBeUndefined();
    expect(new AgentError("DEVICE_OFFLINE", "x").code).toBe("DEVICE_OFFLINE");
  });
});
