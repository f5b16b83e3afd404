// Passkeys, as progressive enhancement (accounts/passkeys.py does the checking).
// - Reveals [data-passkey-option] where the browser can make passkeys (window.PublicKeyCredential),
//   and hides [data-passkey-unsupported].
// - On a form[data-passkey-create], runs navigator.credentials.create with the options in
//   #passkey-options, puts the JSON result in the form's "credential" field and submits it.
// - On a form[data-passkey-get], the same with navigator.credentials.get (a reset's passkey step).
// No inline handlers: the page's CSP allows scripts from 'self' only.

const supported = typeof window.PublicKeyCredential === 'function' && !!navigator.credentials

function b64urlToBuffer (value) {
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((value.length + 3) % 4)
  return Uint8Array.from(atob(base64), c => c.charCodeAt(0)).buffer
}

function bufferToB64url (buffer) {
  let text = ''
  for (const byte of new Uint8Array(buffer)) text += String.fromCharCode(byte)
  return btoa(text).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '')
}

function creationOptions (json) {
  if (typeof PublicKeyCredential.parseCreationOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseCreationOptionsFromJSON(json)
  }
  return {
    ...json,
    challenge: b64urlToBuffer(json.challenge),
    user: { ...json.user, id: b64urlToBuffer(json.user.id) },
    excludeCredentials: (json.excludeCredentials || []).map(c => ({ ...c, id: b64urlToBuffer(c.id) }))
  }
}

function credentialToJSON (credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON()
  const response = credential.response
  return {
    id: credential.id,
    rawId: bufferToB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: bufferToB64url(response.clientDataJSON),
      attestationObject: bufferToB64url(response.attestationObject),
      transports: typeof response.getTransports === 'function' ? response.getTransports() : []
    }
  }
}

for (const element of document.querySelectorAll('[data-passkey-option]')) {
  if (!supported) continue
  element.hidden = false
  for (const input of element.querySelectorAll('input[disabled]')) input.disabled = false
}
for (const element of document.querySelectorAll('[data-passkey-unsupported]')) {
  if (supported) element.hidden = true
}

const form = document.querySelector('form[data-passkey-create]')
if (form && supported) {
  const options = JSON.parse(document.getElementById('passkey-options').textContent)
  form.addEventListener('submit', async event => {
    if (form.elements.credential.value) return // already filled: let it go
    event.preventDefault()
    try {
      const credential = await navigator.credentials.create({ publicKey: creationOptions(options) })
      form.elements.credential.value = JSON.stringify(credentialToJSON(credential))
    } catch (error) {
      form.elements.credential.value = JSON.stringify({ error: String(error && error.name) })
    }
    form.submit()
  })
}

// On a form[data-passkey-get] (a passkey as the second factor of a password reset): the same
// with navigator.credentials.get and the request options in #passkey-options.
function requestOptions (json) {
  if (typeof PublicKeyCredential.parseRequestOptionsFromJSON === 'function') {
    return PublicKeyCredential.parseRequestOptionsFromJSON(json)
  }
  return {
    ...json,
    challenge: b64urlToBuffer(json.challenge),
    allowCredentials: (json.allowCredentials || []).map(c => ({ ...c, id: b64urlToBuffer(c.id) }))
  }
}

function assertionToJSON (credential) {
  if (typeof credential.toJSON === 'function') return credential.toJSON()
  const response = credential.response
  return {
    id: credential.id,
    rawId: bufferToB64url(credential.rawId),
    type: credential.type,
    authenticatorAttachment: credential.authenticatorAttachment || undefined,
    clientExtensionResults: credential.getClientExtensionResults(),
    response: {
      clientDataJSON: bufferToB64url(response.clientDataJSON),
      authenticatorData: bufferToB64url(response.authenticatorData),
      signature: bufferToB64url(response.signature),
      userHandle: response.userHandle ? bufferToB64url(response.userHandle) : undefined
    }
  }
}

const getForm = document.querySelector('form[data-passkey-get]')
if (getForm && supported) {
  const options = JSON.parse(document.getElementById('passkey-options').textContent)
  getForm.addEventListener('submit', async event => {
    if (getForm.elements.credential.value) return
    event.preventDefault()
    try {
      const credential = await navigator.credentials.get({ publicKey: requestOptions(options) })
      getForm.elements.credential.value = JSON.stringify(assertionToJSON(credential))
    } catch (error) {
      getForm.elements.credential.value = JSON.stringify({ error: String(error && error.name) })
    }
    getForm.submit()
  })
}
