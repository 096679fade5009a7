import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit } from "effect"
import { isPublicAddress, UpstreamUrlGuard } from "../src/UpstreamUrlGuard.ts"

// Stands in for DNS: names that resolve to what an attacker would pick.
const resolve = (host: string) =>
  Promise.resolve(
    (
      {
        "api.example.test": ["93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946"],
        "rebind.example.test": ["93.184.216.34", "10.1.2.3"],
        "metadata.example.test": ["169.254.169.254"],
        "mapped.example.test": ["::ffff:192.168.0.1"]
      } as Record<string, Array<string>>
    )[host] ?? []
  )

describe("UpstreamUrlGuard", () => {
  it("isPublicAddress accepts only public unicast", () => {
    for (const ip of ["8.8.8.8", "93.184.216.34", "2606:4700::1111"])
      expect([ip, isPublicAddress(ip)]).toEqual([ip, true])
    for (const ip of [
      "127.0.0.1",
      "10.0.0.1",
      "172.16.5.4",
      "192.168.1.1",
      "169.254.169.254",
      "100.64.0.1",
      "0.0.0.0",
      "255.255.255.255",
      "224.0.0.1",
      "::1",
      "::",
      "fe80::1",
      "fd12:3456::1",
      "::ffff:127.0.0.1",
      "not an ip"
    ]) {
      expect([ip, isPublicAddress(ip)]).toEqual([ip, false])
    }
  })

  it.effect("checks every address a name resolves to", () =>
    Effect.gen(function* () {
      const guard = UpstreamUrlGuard.make({ allowPrivate: false, resolve })
      expect((yield* guard.check("https://api.example.test/v1")).host).toBe("api.example.test")
      for (const url of [
        "https://rebind.example.test/v1",
        "http://metadata.example.test/",
        "http://mapped.example.test/",
        "http://unknown.example.test/",
        "ftp://api.example.test/",
        "http://[::1]:11434"
      ]) {
        const exit = yield* Effect.exit(guard.check(url))
        expect([url, Exit.isFailure(exit)]).toEqual([url, true])
      }
    })
  )

  it.effect("ALLOW_PRIVATE_UPSTREAMS lets a local vLLM or Ollama through (http(s) only)", () =>
    Effect.gen(function* () {
      const guard = UpstreamUrlGuard.make({ allowPrivate: true, resolve })
      expect((yield* guard.check("http://localhost:11434/v1")).port).toBe("11434")
      expect(Exit.isFailure(yield* Effect.exit(guard.check("file:///etc/passwd")))).toBe(true)
    })
  )
})
