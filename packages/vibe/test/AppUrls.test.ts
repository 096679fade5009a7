/**
 * Each app's own origin, from the template, and back from a Host header.
 */
import { describe, expect, it } from "@effect/vitest"
import * as AppIds from "../src/AppIds.ts"
import { AppUrls } from "../src/AppUrls.ts"

const id = "sb-abcdefghij0123456789"

describe("AppUrls", () => {
  it("defaults to <id>.apps.localhost on the apps port, and reads the id back from Host", () => {
    const urls = AppUrls.fromTemplate(AppUrls.localTemplate(8091))
    expect(urls.urlOf(id)).toBe(`http://${id}.apps.localhost:8091/`)
    expect(urls.appIdOfHost(`${id}.apps.localhost:8091`)).toBe(id)
    expect(urls.appIdOfHost(`${id.toUpperCase()}.APPS.LOCALHOST`)).toBe(id)
  })

  it("takes a production template, and refuses hosts that are not one app's origin", () => {
    const urls = AppUrls.fromTemplate("https://{id}.apps.example.com")
    expect(urls.urlOf(id)).toBe(`https://${id}.apps.example.com/`)
    expect(urls.appIdOfHost(`${id}.apps.example.com`)).toBe(id)
    for (const host of [
      undefined,
      "apps.example.com",
      `${id}.apps.example.com.evil.test`,
      `x.${id}.apps.example.com`,
      "sb-short.apps.example.com",
      "localhost:8090"
    ])
      expect(urls.appIdOfHost(host)).toBeUndefined()
  })

  it("validates templates", () => {
    expect(AppUrls.validate("https://{id}.apps.example.com")).toBeUndefined()
    expect(AppUrls.validate("https://apps.example.com/{id}")).toMatch(/start its host with \{id\}/)
    expect(AppUrls.validate("ftp://{id}.example.com")).toMatch(/http\(s\)/)
    expect(AppUrls.validate("https://apps.example.com")).toMatch(/with \{id\}/)
  })

  it("makes ids that fit the contract and a DNS label", () => {
    const ids = new Set(Array.from({ length: 100 }, () => AppIds.make()))
    expect(ids.size).toBe(100)
    for (const made of ids) {
      expect(AppIds.isAppId(made)).toBe(true)
      expect(made.length).toBeLessThanOrEqual(63)
    }
  })
})
