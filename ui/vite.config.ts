import { defineConfig } from "vite";

// The dev server proxies the API to a running `cairn serve` (or the e2e mock server):
// CAIRN_URL=http://127.0.0.1:4318 npm run dev
const target = process.env.CAIRN_URL ?? "http://127.0.0.1:4318";

export default defineConfig({
  oxc: { jsx: { runtime: "automatic", importSource: "preact" } },
  build: {
    outDir: "dist",
    // dist/.keep is committed so that go:embed compiles before a build; keep it.
    emptyOutDir: false,
    assetsDir: "assets",
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
  server: { proxy: { "/api": target } },
});
