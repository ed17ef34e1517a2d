import { RoomIndex } from '../src/room-index.js';

describe('RoomIndex', () => {
  test('keeps rooms both ways and forgets empty ones', () => {
    const rooms = new RoomIndex<string>();
    rooms.join('a', 'lobby');
    rooms.join('a', 'staff');
    rooms.join('b', 'lobby');
    rooms.join('b', 'lobby');
    expect([...rooms.membersOf('lobby')]).toEqual(['a', 'b']);
    expect(rooms.roomsOf('a')).toEqual(['lobby', 'staff']);
    rooms.leave('a', 'staff');
    expect(rooms.size).toBe(1);
    rooms.leaveAll('b');
    expect([...rooms.membersOf('lobby')]).toEqual(['a']);
    expect(rooms.roomsOf('b')).toEqual([]);
    rooms.leave('a', 'lobby');
    rooms.leave('a', 'nowhere');
    expect(rooms.size).toBe(0);
    expect(rooms.membersOf('lobby').size).toBe(0);
  });
});
