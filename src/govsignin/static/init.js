// Progressive enhancement for GOV.UK Frontend components (password reveal, error summary focus).
import { initAll } from '/assets/govuk-frontend.min.js'
initAll()
