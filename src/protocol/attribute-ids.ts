// Attribute Type numbers used by radtrack, named as in the RFCs.
export const ATTRIBUTE = {
  USER_NAME: 1, // User-Name, RFC 2865 §5.1
  USER_PASSWORD: 2, // User-Password, RFC 2865 §5.2 (never journaled)
  NAS_IP_ADDRESS: 4, // NAS-IP-Address, RFC 2865 §5.4
  NAS_PORT: 5, // NAS-Port, RFC 2865 §5.5
  FRAMED_IP_ADDRESS: 8, // Framed-IP-Address, RFC 2865 §5.8
  VENDOR_SPECIFIC: 26, // Vendor-Specific, RFC 2865 §5.26
  CALLED_STATION_ID: 30, // Called-Station-Id, RFC 2865 §5.30
  CALLING_STATION_ID: 31, // Calling-Station-Id, RFC 2865 §5.31
  NAS_IDENTIFIER: 32, // NAS-Identifier, RFC 2865 §5.32
  PROXY_STATE: 33, // Proxy-State, RFC 2865 §5.33
  ACCT_STATUS_TYPE: 40, // Acct-Status-Type, RFC 2866 §5.1
  ACCT_DELAY_TIME: 41, // Acct-Delay-Time, RFC 2866 §5.2
  ACCT_INPUT_OCTETS: 42, // Acct-Input-Octets, RFC 2866 §5.3
  ACCT_OUTPUT_OCTETS: 43, // Acct-Output-Octets, RFC 2866 §5.4
  ACCT_SESSION_ID: 44, // Acct-Session-Id, RFC 2866 §5.5
  ACCT_SESSION_TIME: 46, // Acct-Session-Time, RFC 2866 §5.7
  ACCT_INPUT_PACKETS: 47, // Acct-Input-Packets, RFC 2866 §5.8
  ACCT_OUTPUT_PACKETS: 48, // Acct-Output-Packets, RFC 2866 §5.9
  ACCT_TERMINATE_CAUSE: 49, // Acct-Terminate-Cause, RFC 2866 §5.10
  ACCT_INPUT_GIGAWORDS: 52, // Acct-Input-Gigawords, RFC 2869 §5.1
  ACCT_OUTPUT_GIGAWORDS: 53, // Acct-Output-Gigawords, RFC 2869 §5.2
  EVENT_TIMESTAMP: 55, // Event-Timestamp, RFC 2869 §5.3
  MESSAGE_AUTHENTICATOR: 80, // Message-Authenticator, RFC 3579 §3.2
  NAS_PORT_ID: 87, // NAS-Port-Id, RFC 2869 §5.17
} as const;
