{{/* Chart name, truncated to the 63 characters Kubernetes allows in names and label values. */}}
{{- define "ztp.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Release-qualified name; components append "-<component>", hence the shorter truncation. */}}
{{- define "ztp.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 40 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 40 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* Name of one component's objects. Call with (dict "root" $ "component" "rendezvous"). */}}
{{- define "ztp.componentName" -}}
{{- printf "%s-%s" (include "ztp.fullname" .root) .component }}
{{- end }}

{{- define "ztp.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
app.kubernetes.io/name: {{ include "ztp.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: ztp-onboarding
{{- end }}

{{/* Selector labels of one component. Call with (dict "root" $ "component" "rendezvous"). */}}
{{- define "ztp.selectorLabels" -}}
app.kubernetes.io/name: {{ include "ztp.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ztp.componentLabels" -}}
{{ include "ztp.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "ztp.image" -}}
{{- printf "%s:%s" .Values.image.repository (default .Chart.AppVersion .Values.image.tag) }}
{{- end }}

{{- define "ztp.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "ztp.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret holding DATABASE_URL, REDIS_URL and KEY_CUSTODY_MASTER_KEY. */}}
{{- define "ztp.secretName" -}}
{{- default (printf "%s-secrets" (include "ztp.fullname" .)) .Values.secrets.existingSecret }}
{{- end }}

{{- define "ztp.configMapName" -}}
{{- printf "%s-config" (include "ztp.fullname" .) }}
{{- end }}

{{/* Environment variable prefix of a component: voucher-service -> VOUCHER_SERVICE. */}}
{{- define "ztp.envPrefix" -}}
{{- . | upper | replace "-" "_" }}
{{- end }}

{{/*
The URL devices and clients use for an app: its publicUrl, else https:// (or http:// without TLS) on
its Ingress host, else the in-cluster Service URL. Call with (dict "root" $ "component" "rendezvous").
*/}}
{{- define "ztp.publicUrl" -}}
{{- $app := index .root.Values.apps .component }}
{{- if $app.publicUrl }}
{{- $app.publicUrl }}
{{- else if and .root.Values.ingress.enabled $app.ingress.host }}
{{- $scheme := "http" }}
{{- range .root.Values.ingress.tls }}
{{- if has $app.ingress.host .hosts }}{{ $scheme = "https" }}{{ end }}
{{- end }}
{{- printf "%s://%s" $scheme $app.ingress.host }}
{{- else }}
{{- printf "http://%s.%s.svc:%v" (include "ztp.componentName" .) .root.Release.Namespace $app.service.port }}
{{- end }}
{{- end }}

{{/*
Non-secret environment, as "NAME: value" lines (ConfigMap data). Every app sees every port and public
URL: the services write each other's addresses into vouchers and rendezvous information.
*/}}
{{- define "ztp.configData" -}}
NODE_ENV: {{ dig "general" "NODE_ENV" "" .Values.env | default "production" | toString | quote }}
HOST: {{ dig "http" "HOST" "" .Values.env | default "0.0.0.0" | toString | quote }}
LOG_LEVEL: {{ .Values.config.logLevel | quote }}
QUEUE_PREFIX: {{ .Values.config.queuePrefix | quote }}
MAX_BODY_BYTES: {{ .Values.config.maxBodyBytes | int64 | quote }}
SHUTDOWN_TIMEOUT_MS: {{ .Values.config.shutdownTimeoutMs | int64 | quote }}
{{- range $component, $app := .Values.apps }}
{{ include "ztp.envPrefix" $component }}_PORT: {{ $app.port | int64 | quote }}
{{ include "ztp.envPrefix" $component }}_PUBLIC_URL: {{ include "ztp.publicUrl" (dict "root" $ "component" $component) | quote }}
{{- end }}
WORKER_PORT: {{ .Values.worker.port | int64 | quote }}
{{- range $name, $value := .Values.config.extraEnv }}
{{ $name }}: {{ $value | toString | quote }}
{{- end }}
{{- $secretNames := include "ztp.secretVariables" . | splitList " " }}
{{- range $group, $variables := .Values.env }}
{{- range $name, $value := $variables }}
{{- if and (ne (toString $value) "") (not (has $name (list "NODE_ENV" "HOST"))) }}
{{- if not (has $name $secretNames) }}
{{ $name }}: {{ $value | toString | quote }}
{{- else if $.Values.secrets.existingSecret }}
{{- fail (printf "env.%s.%s is a secret: put it in the Secret %s (secrets.existingSecret) instead" $group $name $.Values.secrets.existingSecret) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/* Variables of env.<group> that go into the Secret, not the ConfigMap (space-separated). */}}
{{- define "ztp.secretVariables" -}}
KEY_CUSTODY_PREVIOUS_MASTER_KEYS RENDEZVOUS_TOKEN_KEY BOOTSTRAP_OPERATOR_API_KEY
{{- end }}

{{/* Secret environment, as "NAME: base64" lines (Secret data). */}}
{{- define "ztp.secretData" -}}
DATABASE_URL: {{ required "secrets.databaseUrl is required (or set secrets.existingSecret)" .Values.secrets.databaseUrl | b64enc | quote }}
KEY_CUSTODY_MASTER_KEY: {{ required "secrets.keyCustodyMasterKey is required: openssl rand -base64 32 (or set secrets.existingSecret)" .Values.secrets.keyCustodyMasterKey | b64enc | quote }}
{{- with .Values.secrets.redisUrl }}
REDIS_URL: {{ . | b64enc | quote }}
{{- end }}
{{- $secretNames := include "ztp.secretVariables" . | splitList " " }}
{{- range $group, $variables := .Values.env }}
{{- range $name, $value := $variables }}
{{- if and (has $name $secretNames) (ne (toString $value) "") }}
{{ $name }}: {{ $value | toString | b64enc | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}

{{/*
Seconds Kubernetes waits between starting termination and SIGKILL: the preStop sleep, then the app's
own graceful stop (SHUTDOWN_TIMEOUT_MS, rounded up), then 5 s of margin for the process to exit.
*/}}
{{- define "ztp.terminationGracePeriodSeconds" -}}
{{- $shutdownSeconds := div (add (int64 .Values.config.shutdownTimeoutMs) 999) 1000 }}
{{- add (int64 .Values.shutdown.preStopSleepSeconds) $shutdownSeconds 5 }}
{{- end }}

{{/* Annotations that roll the pods when the configuration or the chart-managed secret changes. */}}
{{- define "ztp.checksumAnnotations" -}}
checksum/config: {{ include "ztp.configData" . | sha256sum }}
{{- if not .Values.secrets.existingSecret }}
checksum/secrets: {{ include "ztp.secretData" . | sha256sum }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every workload (each sets its serviceAccountName itself). */}}
{{- define "ztp.podCommon" -}}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
volumes:
  - name: tmp
    emptyDir:
      sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{/* Container settings shared by every workload: image, environment, security, /tmp. */}}
{{- define "ztp.containerCommon" -}}
image: {{ include "ztp.image" . }}
imagePullPolicy: {{ .Values.image.pullPolicy }}
securityContext:
  {{- toYaml .Values.securityContext | nindent 2 }}
volumeMounts:
  - name: tmp
    mountPath: /tmp
{{- end }}

{{/* envFrom of the long-running workloads (the migration hook uses its own copies, see migration-job). */}}
{{- define "ztp.envFrom" -}}
envFrom:
  - configMapRef:
      name: {{ include "ztp.configMapName" . }}
  - secretRef:
      name: {{ include "ztp.secretName" . }}
{{- end }}

{{/* Best-effort spread of one component's replicas. Call with (dict "root" $ "component" "..."). */}}
{{- define "ztp.topologySpread" -}}
{{- $spread := .root.Values.topologySpread -}}
topologySpreadConstraints:
  - maxSkew: {{ $spread.maxSkew }}
    topologyKey: {{ $spread.topologyKey }}
    whenUnsatisfiable: {{ $spread.whenUnsatisfiable }}
    labelSelector:
      matchLabels:
        {{- include "ztp.selectorLabels" . | nindent 8 }}
{{- end }}

{{/* Every long-running workload (the HTTP apps and the worker) by component name, as YAML. */}}
{{- define "ztp.workloads" -}}
{{- $workloads := deepCopy .Values.apps }}
{{- $_ := set $workloads "worker" .Values.worker }}
{{- toYaml $workloads }}
{{- end }}
