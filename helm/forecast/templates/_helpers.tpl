{{- define "forecast.labels" -}}
app.kubernetes.io/name: forecast
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Pod labels Orleans' Kubernetes hosting reads: they must equal ORLEANS_SERVICE_ID and ORLEANS_CLUSTER_ID. */}}
{{- define "forecast.orleansLabels" -}}
orleans/serviceId: {{ .Values.orleans.serviceId | quote }}
orleans/clusterId: {{ .Release.Name | quote }}
{{- end }}

{{/* The environment every silo shares: configuration keys as Section__Key. */}}
{{- define "forecast.env" -}}
- name: Kafka__BootstrapServers
  value: {{ .Values.kafka.bootstrapServers | quote }}
- name: Kafka__Topic
  value: {{ .Values.kafka.topic | quote }}
- name: Kafka__GroupId
  value: {{ .Values.kafka.groupId | quote }}
{{- range $key, $value := .Values.kafka.settings }}
- name: Kafka__Consumer__{{ $key }}
  value: {{ $value | quote }}
- name: Kafka__Producer__{{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- if .Values.kafka.passwordSecret }}
- name: Kafka__Consumer__sasl.password
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.passwordSecret }}, key: password } }
- name: Kafka__Producer__sasl.password
  valueFrom: { secretKeyRef: { name: {{ .Values.kafka.passwordSecret }}, key: password } }
{{- end }}
- name: InfluxDb__Url
  value: {{ .Values.influxdb.url | quote }}
- name: InfluxDb__Version
  value: {{ .Values.influxdb.version | quote }}
- name: InfluxDb__Org
  value: {{ .Values.influxdb.org | quote }}
- name: InfluxDb__Bucket
  value: {{ .Values.influxdb.bucket | quote }}
{{- if .Values.influxdb.tokenSecret }}
- name: InfluxDb__Token
  valueFrom: { secretKeyRef: { name: {{ .Values.influxdb.tokenSecret }}, key: token } }
{{- end }}
- name: Orleans__Redis
  value: {{ .Values.redis.endpoint | quote }}
{{- with .Values.alerts }}
{{- if or .externalUrl .alertmanagerUrl .webhook.url .slackSecret .pagerDutySecret }}
- name: Alerts__ExternalUrl
  value: {{ .externalUrl | default (printf "http://%s.%s.svc:%v" $.Release.Name $.Release.Namespace $.Values.service.port) | quote }}
{{- end }}
{{- if .alertmanagerUrl }}
- name: Alerts__Alertmanager__Url
  value: {{ .alertmanagerUrl | quote }}
{{- end }}
{{- if .webhook.url }}
- name: Alerts__Webhook__Url
  value: {{ .webhook.url | quote }}
- name: Alerts__Webhook__SecretFile
  value: /etc/forecast/alerts/webhook/secret
{{- end }}
{{- if .slackSecret }}
- name: Alerts__Slack__UrlFile
  value: /etc/forecast/alerts/slack/url
{{- end }}
{{- if .pagerDutySecret }}
- name: Alerts__PagerDuty__RoutingKeyFile
  value: /etc/forecast/alerts/pagerduty/routingKey
{{- end }}
{{- range $key, $value := .settings }}
- name: Alerts__{{ $key | replace ":" "__" }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- with .Values.models }}
{{- if .apiKeysSecret }}
- name: Api__KeyFile
  value: /etc/forecast/api/keys
{{- end }}
{{- range $key, $value := .settings }}
- name: Models__{{ $key }}
  value: {{ $value | quote }}
{{- end }}
{{- end }}
{{- if .Values.orleans.kubernetesHosting }}
- name: Orleans__Kubernetes
  value: "true"
- name: POD_NAME
  valueFrom: { fieldRef: { fieldPath: metadata.name } }
- name: POD_NAMESPACE
  valueFrom: { fieldRef: { fieldPath: metadata.namespace } }
- name: POD_IP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
- name: ORLEANS_SERVICE_ID
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/serviceId']" } }
- name: ORLEANS_CLUSTER_ID
  valueFrom: { fieldRef: { fieldPath: "metadata.labels['orleans/clusterId']" } }
{{- else }}
- name: Orleans__ServiceId
  value: {{ .Values.orleans.serviceId | quote }}
- name: Orleans__ClusterId
  value: {{ .Release.Name | quote }}
- name: Orleans__AdvertisedIP
  valueFrom: { fieldRef: { fieldPath: status.podIP } }
{{- end }}
{{- end }}

{{/* Alert delivery secrets, each mounted read-only as the file its Alerts:...File setting names. */}}
{{- define "forecast.alertMounts" -}}
{{- with .Values.alerts }}
{{- if .webhook.url }}
- { name: alerts-webhook, mountPath: /etc/forecast/alerts/webhook, readOnly: true }
{{- end }}
{{- if .slackSecret }}
- { name: alerts-slack, mountPath: /etc/forecast/alerts/slack, readOnly: true }
{{- end }}
{{- if .pagerDutySecret }}
- { name: alerts-pagerduty, mountPath: /etc/forecast/alerts/pagerduty, readOnly: true }
{{- end }}
{{- end }}
{{- end }}

{{- define "forecast.alertVolumes" -}}
{{- with .Values.alerts }}
{{- if .webhook.url }}
- name: alerts-webhook
  secret: { secretName: {{ .webhook.secretName | quote }}, defaultMode: 0440, items: [{ key: secret, path: secret }] }
{{- end }}
{{- if .slackSecret }}
- name: alerts-slack
  secret: { secretName: {{ .slackSecret | quote }}, defaultMode: 0440, items: [{ key: url, path: url }] }
{{- end }}
{{- if .pagerDutySecret }}
- name: alerts-pagerduty
  secret: { secretName: {{ .pagerDutySecret | quote }}, defaultMode: 0440, items: [{ key: routingKey, path: routingKey }] }
{{- end }}
{{- end }}
{{- end }}
