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
