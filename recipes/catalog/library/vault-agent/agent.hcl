# Vault Agent for the vault-agent recipe: authenticate with a token read from a file (dev
# only: use the kubernetes or approle auth method for real), render secret/app into
# /vault/secrets/app.env, and re-render every 5 seconds so changes show up quickly.
vault {
  address = "http://127.0.0.1:8200"
}

auto_auth {
  method {
    type = "token_file"
    config = {
      token_file_path = "/vault/config/token"
    }
  }
}

template_config {
  static_secret_render_interval = "5s"
}

template {
  destination = "/vault/secrets/app.env"
  perms       = "0644"
  contents    = <<EOT
{{- with secret "secret/data/app" -}}
APP_PASSWORD={{ .Data.data.password }}
{{- end }}
EOT
}
