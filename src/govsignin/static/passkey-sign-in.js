// /sign-in-passkey: run navigator.credentials.get with the provider's options and post the
// response (JSON) back in the page's form, which carries the CSRF token.
const form = document.getElementById('passkey-form')
const button = document.getElementById('passkey-button')
const optionsElement = document.getElementById('passkey-options')

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
  if (window.PublicKeyCredential && PublicKeyCredential.parseRequestOptionsFromJSON) {
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

if (form && button && optionsElement && window.PublicKeyCredential) {
  button.hidden = false
  button.addEventListener('click', async (event) => {
    event.preventDefault()
    button.disabled = true
    try {
      const options = requestOptions(JSON.parse(optionsElement.textContent))
      const credential = await navigator.credentials.get({ publicKey: options })
      form.elements.credential.value = JSON.stringify(credentialJSON(credential))
    } catch (error) {
      form.elements.credential.value = ''  // cancelled or refused: the provider shows the error
    }
    form.submit()
  })
}
