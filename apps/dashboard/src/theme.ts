/**
 * Mantine's theme, adjusted for contrast: filled buttons and links use a darker shade than
 * Mantine's default (white on indigo 8 is above 4.5:1), and "dimmed" text is gray 7 rather than
 * gray 6 (which reads 3.3:1 on white).
 */
import { type CSSVariablesResolver, createTheme } from "@mantine/core"

export const theme = createTheme({
  primaryColor: "indigo",
  primaryShade: 8,
  defaultRadius: "md",
  fontFamily: "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
  focusRing: "auto",
  // No sliding or fading for people who asked their system for less motion.
  respectReducedMotion: true
})

export const cssVariables: CSSVariablesResolver = (t) => ({
  variables: {},
  light: { "--mantine-color-dimmed": t.colors.gray[7] },
  dark: {}
})
