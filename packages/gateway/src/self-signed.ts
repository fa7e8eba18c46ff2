/**
 * A development certificate for `localhost`, `127.0.0.1` and `::1`, made at start by `selfsigned`
 * (EC P-256, valid 30 days). Clients must be told to trust it (`curl -k`, `ca:` in Node).
 */
export async function selfSignedCertificate(): Promise<{ cert: string; key: string }> {
  const { generate } = await import('selfsigned')
  const notBefore = new Date(Date.now() - 60_000)
  const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
    keyType: 'ec',
    curve: 'P-256',
    algorithm: 'sha256',
    notBeforeDate: notBefore,
    notAfterDate: new Date(notBefore.getTime() + 30 * 86_400_000),
    extensions: [
      { name: 'basicConstraints', cA: false },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true },
      { name: 'extKeyUsage', serverAuth: true },
      {
        name: 'subjectAltName',
        altNames: [
          { type: 2, value: 'localhost' },
          { type: 7, ip: '127.0.0.1' },
          { type: 7, ip: '::1' },
        ],
      },
    ],
  })
  return { cert: pems.cert, key: pems.private }
}
