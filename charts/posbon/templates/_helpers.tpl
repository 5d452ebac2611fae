{{/* The release's prefix for every object: the release name, with "posbon" once. */}}
{{- define "posbon.fullname" -}}
{{- if contains "posbon" .Release.Name -}}{{ .Release.Name | trunc 50 | trimSuffix "-" }}{{- else -}}{{ printf "%s-posbon" .Release.Name | trunc 50 | trimSuffix "-" }}{{- end -}}
{{- end -}}

{{- define "posbon.labels" -}}
app.kubernetes.io/part-of: posbon
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}

{{/* Selector labels of one component: (list $ "api") */}}
{{- define "posbon.selector" -}}
app.kubernetes.io/instance: {{ (index . 0).Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{- define "posbon.image" -}}
{{- $ := index . 0 -}}
{{- printf "%s/%s:%s" $.Values.image.registry (index $.Values.images (index . 1)) ($.Values.image.tag | default $.Chart.AppVersion) -}}
{{- end -}}

{{- define "posbon.apiService" -}}{{ include "posbon.fullname" . }}-api{{- end -}}
{{- define "posbon.webhookService" -}}{{ include "posbon.fullname" . }}-webhook{{- end -}}
{{- define "posbon.secretName" -}}{{ .Values.secrets.existingSecret | default (printf "%s-keys" (include "posbon.fullname" .)) }}{{- end -}}
{{- define "posbon.databaseSecret" -}}{{ .Values.database.existingSecret | default (printf "%s-database" (include "posbon.fullname" .)) }}{{- end -}}
{{- define "posbon.databaseKey" -}}{{ if .Values.database.existingSecret }}{{ .Values.database.existingSecretKey }}{{ else }}DATABASE_URL{{ end }}{{- end -}}
{{- define "posbon.jwksSecret" -}}{{ .Values.api.jwks.existingSecret | default (printf "%s-jwks-tls" (include "posbon.fullname" .)) }}{{- end -}}
{{/* The JWKS URL the media nodes fetch: the API Service of this release, never an assumed name. */}}
{{- define "posbon.jwksUrl" -}}https://{{ include "posbon.apiService" . }}.{{ .Release.Namespace }}.svc:{{ .Values.api.jwks.port }}/.well-known/jwks.json{{- end -}}

{{/* A container that may write nothing but its emptyDirs, as PSS restricted requires. */}}
{{- define "posbon.containerSecurity" -}}
securityContext:
  runAsNonRoot: true
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: true
  capabilities:
    drop: ["ALL"]
{{- end -}}

{{- define "posbon.databaseEnv" -}}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
      name: {{ include "posbon.databaseSecret" . }}
      key: {{ include "posbon.databaseKey" . }}
{{- end -}}

{{/* One key of the keys Secret as an environment variable: (list $ "ENV_NAME") */}}
{{- define "posbon.keyEnv" -}}
- name: {{ index . 1 }}
  valueFrom:
    secretKeyRef:
      name: {{ include "posbon.secretName" (index . 0) }}
      key: {{ index . 1 }}
{{- end -}}
