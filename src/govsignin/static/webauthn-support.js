// Tells the email page whether this browser can use a passkey (WebAuthn), so the provider offers
// one only where it can work. Without JavaScript the field stays empty: the password page follows.
const field = document.querySelector('input[name="webauthn"]')
if (field && window.PublicKeyCredential && navigator.credentials && navigator.credentials.get) {
  field.value = '1'
}
