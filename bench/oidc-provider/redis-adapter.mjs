// oidc-provider's storage on Redis, for bench/compare.py --redis: the shared store a production
// oidc-provider needs once it runs as more than one process (the built-in adapter keeps
// everything in one process's memory), so both providers pay for the same kind of round trips.
//
// Written for this benchmark against oidc-provider's documented Adapter interface (upsert, find,
// findByUid, findByUserCode, consume, destroy, revokeByGrantId). Each model instance is one JSON
// string with the model's expiry; a consumed code is marked by a second key read together with
// it; tokens of a grant are listed in a set so revokeByGrantId can delete them.
import Redis from 'ioredis';

const client = new Redis(process.env.REDIS_URL, { keyPrefix: process.env.REDIS_PREFIX || 'oidc:' });

const GRANTABLE = new Set(['AccessToken', 'AuthorizationCode', 'RefreshToken', 'DeviceCode',
  'BackchannelAuthenticationRequest']);

export default class RedisAdapter {
  constructor(name) {
    this.name = name;
  }

  key(id) {
    return `${this.name}:${id}`;
  }

  async upsert(id, payload, expiresIn) {
    const key = this.key(id);
    const multi = client.multi();
    if (expiresIn) {
      multi.set(key, JSON.stringify(payload), 'EX', expiresIn);
    } else {
      multi.set(key, JSON.stringify(payload));
    }
    if (GRANTABLE.has(this.name) && payload.grantId) {
      const grantKey = `grant:${payload.grantId}`;
      multi.sadd(grantKey, key);
      if (expiresIn) multi.expire(grantKey, expiresIn, 'GT'); // never shorten the grant's list
    }
    if (payload.uid) multi.set(`uid:${payload.uid}`, id, 'EX', expiresIn || 3600);
    if (payload.userCode) multi.set(`userCode:${payload.userCode}`, id, 'EX', expiresIn || 3600);
    await multi.exec();
  }

  async find(id) {
    const key = this.key(id);
    const [raw, consumed] = await client.mget(key, `${key}:consumed`);
    if (!raw) return undefined;
    const payload = JSON.parse(raw);
    if (consumed) payload.consumed = Number(consumed);
    return payload;
  }

  async findByUid(uid) {
    const id = await client.get(`uid:${uid}`);
    return id ? this.find(id) : undefined;
  }

  async findByUserCode(userCode) {
    const id = await client.get(`userCode:${userCode}`);
    return id ? this.find(id) : undefined;
  }

  async consume(id) {
    const key = this.key(id);
    const ttl = await client.ttl(key);
    const seconds = String(Math.floor(Date.now() / 1000));
    if (ttl > 0) await client.set(`${key}:consumed`, seconds, 'EX', ttl);
    else await client.set(`${key}:consumed`, seconds);
  }

  async destroy(id) {
    const key = this.key(id);
    await client.del(key, `${key}:consumed`);
  }

  async revokeByGrantId(grantId) {
    const grantKey = `grant:${grantId}`;
    const keys = await client.smembers(grantKey);
    // keyPrefix is added to every key argument, and the members already carry the model name
    await client.del(...keys, ...keys.map((k) => `${k}:consumed`), grantKey);
  }
}
