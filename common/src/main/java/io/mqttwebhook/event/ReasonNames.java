package io.mqttwebhook.event;

/**
 * The reason names written in {@code conn_ack} and {@code reason}: MQTT 5 reason codes in lower snake case,
 * spelled as the specification lists them, and MQTT 3 CONNACK return codes mapped onto them.
 */
public final class ReasonNames {

    public static final String SUCCESS = "success";
    public static final String NORMAL = "normal";
    public static final String CONNECTION_LOST = "connection_lost";
    public static final String KEEP_ALIVE_TIMEOUT = "keep_alive_timeout";
    public static final String SESSION_TAKEN_OVER = "session_taken_over";
    public static final String ADMINISTRATIVE_ACTION = "administrative_action";
    public static final String SERVER_SHUTTING_DOWN = "server_shutting_down";
    public static final String BAD_USERNAME_OR_PASSWORD = "bad_username_or_password";
    public static final String NOT_AUTHORIZED = "not_authorized";
    public static final String UNSPECIFIED_ERROR = "unspecified_error";

    private static final String[] MQTT5 = new String[256];

    static {
        MQTT5[0x00] = SUCCESS;
        MQTT5[0x04] = "disconnect_with_will_message";
        MQTT5[0x80] = UNSPECIFIED_ERROR;
        MQTT5[0x81] = "malformed_packet";
        MQTT5[0x82] = "protocol_error";
        MQTT5[0x83] = "implementation_specific_error";
        MQTT5[0x84] = "unsupported_protocol_version";
        MQTT5[0x85] = "client_identifier_not_valid";
        MQTT5[0x86] = BAD_USERNAME_OR_PASSWORD;
        MQTT5[0x87] = NOT_AUTHORIZED;
        MQTT5[0x88] = "server_unavailable";
        MQTT5[0x89] = "server_busy";
        MQTT5[0x8A] = "banned";
        MQTT5[0x8B] = SERVER_SHUTTING_DOWN;
        MQTT5[0x8C] = "bad_authentication_method";
        MQTT5[0x8D] = KEEP_ALIVE_TIMEOUT;
        MQTT5[0x8E] = SESSION_TAKEN_OVER;
        MQTT5[0x8F] = "topic_filter_invalid";
        MQTT5[0x90] = "topic_name_invalid";
        MQTT5[0x93] = "receive_maximum_exceeded";
        MQTT5[0x94] = "topic_alias_invalid";
        MQTT5[0x95] = "packet_too_large";
        MQTT5[0x96] = "message_rate_too_high";
        MQTT5[0x97] = "quota_exceeded";
        MQTT5[0x98] = ADMINISTRATIVE_ACTION;
        MQTT5[0x99] = "payload_format_invalid";
        MQTT5[0x9A] = "retain_not_supported";
        MQTT5[0x9B] = "qos_not_supported";
        MQTT5[0x9C] = "use_another_server";
        MQTT5[0x9D] = "server_moved";
        MQTT5[0x9E] = "shared_subscriptions_not_supported";
        MQTT5[0x9F] = "connection_rate_exceeded";
        MQTT5[0xA0] = "maximum_connect_time";
        MQTT5[0xA1] = "subscription_identifiers_not_supported";
        MQTT5[0xA2] = "wildcard_subscriptions_not_supported";
    }

    private ReasonNames() {
    }

    /** {@code conn_ack} for an MQTT 5 CONNACK reason code: {@code "success"} for 0. */
    public static String connack(final int mqtt5ReasonCode) {
        return mqtt5(mqtt5ReasonCode);
    }

    /** {@code conn_ack} for an MQTT 3 CONNACK return code (0-5). */
    public static String connackMqtt3(final int returnCode) {
        switch (returnCode) {
            case 0:
                return SUCCESS;
            case 1:
                return "unsupported_protocol_version";
            case 2:
                return "client_identifier_not_valid";
            case 3:
                return "server_unavailable";
            case 4:
                return BAD_USERNAME_OR_PASSWORD;
            case 5:
                return NOT_AUTHORIZED;
            default:
                return UNSPECIFIED_ERROR;
        }
    }

    /** {@code reason} for an MQTT 5 DISCONNECT reason code: {@code "normal"} for 0. */
    public static String disconnect(final int mqtt5ReasonCode) {
        return mqtt5ReasonCode == 0 ? NORMAL : mqtt5(mqtt5ReasonCode);
    }

    /**
     * The name for a broker's reason constant written in upper snake case ({@code BAD_USER_NAME_OR_PASSWORD},
     * {@code NORMAL_DISCONNECTION}, {@code SHARED_SUBSCRIPTION_NOT_SUPPORTED}): the spelling of this
     * contract where it differs from the constant lower-cased, else the constant lower-cased.
     */
    public static String fromConstant(final String constant) {
        switch (constant) {
            case "NORMAL_DISCONNECTION":
                return NORMAL;
            case "BAD_USER_NAME_OR_PASSWORD":
                return BAD_USERNAME_OR_PASSWORD;
            case "SHARED_SUBSCRIPTION_NOT_SUPPORTED":
                return "shared_subscriptions_not_supported";
            case "WILDCARD_SUBSCRIPTION_NOT_SUPPORTED":
                return "wildcard_subscriptions_not_supported";
            default:
                return constant.toLowerCase(java.util.Locale.ROOT);
        }
    }

    private static String mqtt5(final int code) {
        if (code < 0 || code > 255 || MQTT5[code] == null) {
            return UNSPECIFIED_ERROR;
        }
        return MQTT5[code];
    }
}
