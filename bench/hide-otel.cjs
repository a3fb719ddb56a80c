// Preloaded by bench/metrics.mjs: this process behaves as if
// @opentelemetry/api were not installed at all.
const Module = require('node:module');
const resolve = Module._resolveFilename;
Module._resolveFilename = function hideOpenTelemetry(request, ...rest) {
  if (request === '@opentelemetry/api') {
    const error = new Error(`Cannot find module '${request}'`);
    error.code = 'MODULE_NOT_FOUND';
    throw error;
  }
  return resolve.call(this, request, ...rest);
};
