import { createHash, createHmac, randomBytes } from 'node:crypto';
import { Sha256HmacKey, sha256Hex } from '../src/sha256-hmac';

describe('Sha256HmacKey', () => {
  it("matches RFC 4231's test case 2 (a short key)", () => {
    expect(new Sha256HmacKey('Jefe').digest('what do ya want for nothing?').toString('hex')).toBe(
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    );
  });

  it("matches RFC 4231's test case 6 (a key longer than a block is hashed first)", () => {
    const key = Buffer.alloc(131, 0xaa);
    expect(new Sha256HmacKey(key).digest('Test Using Larger Than Block-Size Key - Hash Key First').toString('hex')).toBe(
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    );
  });

  it("agrees with node's createHmac for random keys of every length around a block and any message", () => {
    for (let length = 0; length <= 130; length++) {
      const key = randomBytes(length);
      const message = randomBytes(length * 3);
      expect(new Sha256HmacKey(key).digest(message).equals(createHmac('sha256', key).update(message).digest())).toBe(true);
    }
    const unicode = 'é€😀 and a body';
    expect(new Sha256HmacKey('k').digest(unicode).equals(createHmac('sha256', 'k').update(unicode, 'utf8').digest())).toBe(true);
  });

  it('is reusable: a digest leaves the key unchanged', () => {
    const key = new Sha256HmacKey('secret');
    expect(key.digest('a').equals(key.digest('a'))).toBe(true);
    expect(key.digest('a').equals(key.digest('b'))).toBe(false);
  });
});

describe('sha256Hex', () => {
  it('is the hex SHA-256 of strings (as UTF-8) and of bytes', () => {
    expect(sha256Hex('')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
    expect(sha256Hex('ü')).toBe(createHash('sha256').update('ü', 'utf8').digest('hex'));
    const bytes = randomBytes(1000);
    expect(sha256Hex(bytes)).toBe(createHash('sha256').update(bytes).digest('hex'));
  });
});

describe('Sha256HmacKey digests in every form', () => {
  it('agree with createHmac as bytes and hex, for messages on both sides of the reused buffer and keys interleaved', () => {
    const longKey = randomBytes(80);
    const keys = [new Sha256HmacKey('k1'), new Sha256HmacKey(longKey)];
    const raw = [Buffer.from('k1'), longKey];
    for (const length of [0, 1, 63, 64, 200, 1365, 1366, 4095, 4096, 4097, 10_000]) {
      for (const message of [randomBytes(length), 'a'.repeat(length), '€'.repeat(length)]) {
        for (let k = 0; k < keys.length; k++) {
          const expected = createHmac('sha256', raw[k]).update(message).digest();
          expect(keys[k].digest(message).equals(expected)).toBe(true);
          expect(keys[k].digestHex(message)).toBe(expected.toString('hex'));
        }
      }
    }
  });

  it('keys taking turns over the reused buffers each digest with their own key', () => {
    const a = new Sha256HmacKey('key-a');
    const b = new Sha256HmacKey(randomBytes(100));
    const expectedA = createHmac('sha256', 'key-a').update('m').digest('hex');
    const first = [a.digestHex('m'), b.digestHex('m'), a.digestHex('m'), a.digestHex('m'), b.digestHex('m')];
    expect(first[0]).toBe(expectedA);
    expect([first[2], first[3]]).toEqual([expectedA, expectedA]);
    expect(first[1]).toBe(first[4]);
    expect(first[1]).not.toBe(expectedA);
  });

  it('a digest returned earlier is not changed by later ones (the reused buffers are not handed out)', () => {
    const key = new Sha256HmacKey('secret');
    const first = key.digest('a');
    const copy = Buffer.from(first);
    key.digest('b');
    expect(first.equals(copy)).toBe(true);
  });
});
