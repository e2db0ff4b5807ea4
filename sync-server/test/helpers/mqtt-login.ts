/** One MQTT login with real mqtt.js over TCP, for the login tests: how it ended. */
import mqtt from "mqtt";

/**
 * "connected" (then closed again), "refused: <CONNACK reason>", or "closed" (the socket closed with
 * no CONNACK). Each client is pushed to `clients` so the suite can end any left open.
 */
export function tryLogin(url: string, username: string, password: string, clients: mqtt.MqttClient[]): Promise<string> {
  return new Promise((resolve) => {
    const client = mqtt.connect(url, { clientId: username, username, password, protocolVersion: 4, reconnectPeriod: 0, connectTimeout: 10_000 });
    clients.push(client);
    client.once("connect", () => {
      resolve("connected");
      client.end(true);
    });
    client.once("error", (error) => resolve(`refused: ${error.message}`));
    client.once("close", () => resolve("closed"));
  });
}
