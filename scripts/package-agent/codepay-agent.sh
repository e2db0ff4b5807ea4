#!/bin/sh
# The register agent on the Node runtime this package carries (/opt/codepay-agent/node), never the
# till's own node. UV_USE_IO_URING=0: libuv's io_uring can fail to reopen a replugged serial port.
export UV_USE_IO_URING=0
exec /opt/codepay-agent/node/bin/node /opt/codepay-agent/lib/node_modules/@codepay/terminal-agent/bin/codepay-agent.js "$@"
