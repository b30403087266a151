import { defineConfig } from "vite";

// Built into dist/ and embedded in Forecast.Dashboard.dll; the silo serves index.html at / and the hashed files at /assets/.
export default defineConfig({
  base: "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "assets",
    target: "es2022",
    // One small bundle: no code splitting, no inlined source maps.
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  server: {
    // `npm run dev` against a local `forecast run` (default --urls).
    proxy: { "/api": "http://127.0.0.1:8080" },
  },
});
