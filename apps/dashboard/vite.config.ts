import react from "@vitejs/plugin-react"
import { defineConfig } from "vite"

export default defineConfig({
  plugins: [react()],
  // Relative asset URLs: the build works from any path a static server puts it under.
  base: "./",
  build: { outDir: "dist", sourcemap: true, chunkSizeWarningLimit: 2000 },
  server: { port: 3000, strictPort: true }
})
