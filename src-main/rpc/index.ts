export * from "./client.js";
export * from "./server.js";
export * from "./signal.js";
export * from "./transport.js";
export * from "./transports/memory.js";
export * from "./transports/messagePort.js";
export * from "./transports/webSocket.js";
