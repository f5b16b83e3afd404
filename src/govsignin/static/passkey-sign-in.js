// /enter-email: "Sign in with a passkey", offered to everyone before any email is given, so the
// offer says nothing about which accounts exist or have passkeys.
//
// Where the browser has WebAuthn: ask the provider for this journey's options (discoverable
// credentials: no allowCredentials, a single-use challenge), start a conditional request (the
// browser offers this site's passkeys in the email field's autofill, `autocomplete="username
// webauthn"`), and show the "Sign in with a passkey" button for a modal request (browsers without
// conditional UI, or citizens who look for a button). The response (JSON) goes back to
// /enter-email in the passkey form, which carries the CSRF token. Without JavaScript or WebAuthn
// the section stays hidden and the page is the ordinary email page.
const section = document.getElementById('passkey-sign-in')
const form = document.getElementById('passkey-form')
const button = document.getElementById('passkey-button')

const fromB64url = (value) => {
  const b64 = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4)
  return Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer
}
const toB64url = (buffer) => {
  if (!buffer) return null
  let s = ''
  for (const b of new Uint8Array(buffer)) s += String.fromCharCode(b)
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

const requestOptions = (json) => {
  if (PublicKeyCredential.parseRequestOptionsFromJSON) {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json)
  }
  return {
    ...json,
    challenge: fromB64url(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: fromB64url(c.id) }))
  }
}

const credentialJSON = (cred) => {
  if (typeof cred.toJSON === 'function') return cred.toJSON()
  return {
    id: cred.id,
    rawId: toB64url(cred.rawId),
    type: cred.type,
    authenticatorAttachment: cred.authenticatorAttachment || null,
    clientExtensionResults: cred.getClientExtensionResults(),
    response: {
      clientDataJSON: toB64url(cred.response.clientDataJSON),
      authenticatorData: toB64url(cred.response.authenticatorData),
      signature: toB64url(cred.response.signature),
      userHandle: toB64url(cred.response.userHandle)
    }
  }
}

const send = (credential) => {
  form.elements.credential.value = credential ? JSON.stringify(credentialJSON(credential)) : ''
  form.submit() // an empty response (cancelled, or no passkey here): the provider shows the error
}

const fetchOptions = async () => {
  try {
    const response = await fetch('/enter-email/passkey-options', {
      method: 'POST',
      body: new URLSearchParams({ csrf_token: form.elements.csrf_token.value }),
      headers: { Accept: 'application/json' },
      redirect: 'error' // the journey has moved on: no offer
    })
    const type = response.headers.get('Content-Type') || ''
    return response.ok && type.startsWith('application/json') ? await response.json() : null
  } catch (error) {
    return null
  }
}

const offer = async () => {
  const options = await fetchOptions()
  if (!options) return
  section.hidden = false

  let conditional = null // the autofill request, ended before a modal one starts
  let conditionalDone = Promise.resolve()
  const canAutofill = PublicKeyCredential.isConditionalMediationAvailable &&
    await PublicKeyCredential.isConditionalMediationAvailable().catch(() => false)
  if (canAutofill) {
    conditional = new AbortController()
    conditionalDone = navigator.credentials.get({ publicKey: requestOptions(options), mediation: 'conditional', signal: conditional.signal })
      .then(send, () => {}) // aborted, or never chosen: nothing to do
  }

  button.addEventListener('click', async (event) => {
    event.preventDefault()
    button.disabled = true
    if (conditional) {
      conditional.abort()
      conditional = null
      await conditionalDone // one WebAuthn request at a time: let the aborted one finish
    }
    let credential = null
    try {
      credential = await navigator.credentials.get({ publicKey: requestOptions(options) })
    } catch (error) {
      credential = null
    }
    send(credential)
  })
}

if (section && form && button && window.PublicKeyCredential && navigator.credentials && navigator.credentials.get) {
  offer()
}
