declare const __SAM_LAYER_VERSION__: string | undefined;

// Replaced by the bundler; tests and tsx runs read package.json's version through the fallback.
export const VERSION: string = typeof __SAM_LAYER_VERSION__ === "string" ? __SAM_LAYER_VERSION__ : (process.env.SAM_LAYER_VERSION ?? "0.0.0-dev");
