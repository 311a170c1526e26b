import { Option } from "effect"
import { BlockList, isIP } from "node:net"
import { type EdgeRequest, headerOf } from "../edge/EdgeRequest.ts"

/**
 * The proxies whose `X-Forwarded-For` the gateway believes, from `TRUSTED_PROXIES`: comma-separated addresses and
 * CIDR blocks (`10.0.0.0/8, fd00::/8, 127.0.0.1`). Empty (the default): the header is ignored and the client is
 * the connection's peer.
 */
export const parseTrustedProxies = (text: string): BlockList | string => {
  const list = new BlockList()
  for (const entry of text.split(",").map((part) => part.trim()).filter((part) => part !== "")) {
    const [address = "", prefix] = entry.split("/")
    const family = isIP(address)
    if (family === 0) return `${entry} is not an address or a CIDR block`
    const type = family === 4 ? "ipv4" : "ipv6"
    if (prefix === undefined) {
      list.addAddress(address, type)
      continue
    }
    const bits = Number(prefix)
    if (!Number.isInteger(bits) || bits < 0 || bits > (family === 4 ? 32 : 128)) return `${entry}: bad prefix length`
    list.addSubnet(address, bits, type)
  }
  return list
}

/** An address as a client or proxy may write it: `::ffff:10.0.0.1`, `10.0.0.1:5432`, `[fd00::1]:80`. */
const normalize = (raw: string): string | undefined => {
  let address = raw.trim()
  if (address.startsWith("[")) address = address.slice(1, address.indexOf("]"))
  else if (/^\d+\.\d+\.\d+\.\d+:\d+$/.test(address)) address = address.slice(0, address.lastIndexOf(":"))
  if (address.toLowerCase().startsWith("::ffff:") && isIP(address.slice(7)) === 4) address = address.slice(7)
  return isIP(address) === 0 ? undefined : address
}

const trusts = (proxies: BlockList, address: string) => proxies.check(address, isIP(address) === 4 ? "ipv4" : "ipv6")

/**
 * The address a request comes from. The connection's peer, unless it is a trusted proxy: then `X-Forwarded-For`
 * is read from the right (each proxy appends the address it received from), skipping trusted proxies, and the
 * first address that is not one is the client. Entries left of it are whatever the client chose to send and are
 * never believed; an entry that is not an address stops the walk at the last trusted hop.
 */
export const clientAddress = (request: EdgeRequest, proxies: BlockList | undefined): string => {
  const peer = Option.getOrElse(request.remoteAddress, () => "unknown")
  let address = normalize(peer)
  if (address === undefined) return peer
  if (proxies === undefined || !trusts(proxies, address)) return address
  const hops = headerOf(request, "x-forwarded-for")?.split(",") ?? []
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = normalize(hops[i]!)
    if (hop === undefined) return address
    address = hop
    if (!trusts(proxies, hop)) return hop
  }
  return address
}
